export { DockerCredentialStore, dockerConfigPath, type Credentials } from './auth/docker-config.js';
export { RegistryDeadlineError, type Deadline } from './deadlines.js';
export { OciRegistrySource, type OciRegistryOptions } from './driver.js';
export { endpointsFor, isLoopback, type Endpoint } from './endpoints.js';
export { register } from './register.js';
export {
  pushImage,
  type ImageToPush,
  type PushLayerState,
  type PushOptions,
  type PushResult,
} from './push/push-image.js';
export {
  BlobUploader,
  DEFAULT_UPLOAD_LIMITS,
  type BlobOutcome,
  type BlobToPush,
  type UploadLimits,
} from './push/blob-upload.js';
