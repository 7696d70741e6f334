export { DockerCredentialStore, dockerConfigPath, type Credentials } from './auth/docker-config.js';
export { RegistryDeadlineError, type Deadline } from './deadlines.js';
export { OciRegistrySource, type OciRegistryOptions } from './driver.js';
export { endpointsFor, isLoopback, type Endpoint } from './endpoints.js';
export { register } from './register.js';
