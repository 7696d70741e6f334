import { ApiError } from './api-error.js';
import { type ApiRequest, type ApiResponse } from './api-exchange.js';

export type ApiHandler = (request: ApiRequest, response: ApiResponse) => Promise<void> | void;

/** One route: `GET /containers/{id}/json`; `{name*}` takes slashes too (image names). */
export interface ApiRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: ApiHandler;
}

interface CompiledRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: ApiHandler;
}

function compile(route: ApiRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((part) => {
      const param = /^\{(\w+)(\*?)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1] ?? '');
      return param[2] ? '(.+?)' : '([^/]+)';
    })
    .join('/');
  return { method: route.method, pattern: new RegExp(`^${source}/?$`), names, handler: route.handler };
}

export interface RouteMatch {
  readonly handler: ApiHandler;
  readonly params: Record<string, string>;
}

/** Routes by method and path; a known path with another method is a 405, an unknown one a 404. */
export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly ApiRoute[]) {
    this.routes = routes.map(compile);
  }

  match(method: string, path: string): RouteMatch {
    let pathKnown = false;
    for (const route of this.routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      // HEAD is GET without a body, as Go's router treats it.
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        pathKnown = true;
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => (params[name] = decodeURIComponent(found[index + 1] ?? '')));
      return { handler: route.handler, params };
    }
    if (pathKnown) throw new ApiError(405, `method ${method} not allowed on ${path}`);
    throw new ApiError(404, `page not found: ${method} ${path}`);
  }
}
