import { type ApiRequest, type ApiResponse, type ApiRoute } from '@koker/api-server';
import { type ApiServices } from './api-services.js';

/** A route's handler: koker's services first, then the exchange. */
export type ServiceHandler = (
  api: ApiServices,
  request: ApiRequest,
  response: ApiResponse,
) => Promise<void> | void;

/** The one way the route files bind their handlers to the service's state. */
export function routeBinder(
  api: ApiServices,
): (method: string, path: string, handler: ServiceHandler) => ApiRoute {
  return (method, path, handler) => ({
    method,
    path,
    handler: (request, response) => handler(api, request, response),
  });
}
