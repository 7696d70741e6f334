export { ApiError, errorBody, statusOf } from './api-error.js';
export { type ApiRequest, type ApiResponse, queryFilters, queryFlag, queryInt } from './api-exchange.js';
export { ApiServer, type ApiServerOptions } from './api-server.js';
export { MAX_API_VERSION, MIN_API_VERSION, compareApiVersions, versionedPath } from './api-version.js';
export {
  type ClientCertificateFiles,
  clientCertificateServer,
  clientCertificateTls,
  listenTcp,
} from './client-cert-tls.js';
export {
  DEFAULT_SOCKET,
  type ListenAddress,
  formatListenAddress,
  parseListenAddress,
} from './listen-address.js';
export { type ApiHandler, type ApiRoute, Router } from './router.js';
export { STREAM, type StreamKind, readStreamFrames, streamFrame } from './stream-frames.js';
export { activatedSocketFd, kokerGroupId, listenFd, listenUnix } from './unix-socket.js';
