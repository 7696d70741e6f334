import { ApiError, queryFilters, type ApiRequest, type ApiResponse, type ApiRoute } from '@koker/api-server';
import { Network, NotFoundError, type ContainerRecord } from '@koker/core';
import { lifecycleOf } from '../containers/lifecycle.js';
import { connectContainer, disconnectContainer } from '../networks/connect-container.js';
import { networkDocument } from '../networks/network-document.js';
import {
  findPredefined,
  listedUserNetwork,
  predefinedNetworks,
  refusePredefinedRemoval,
  type ListedNetwork,
} from '../networks/predefined-networks.js';
import { networkMatches, userNetworksOf } from '../networks/user-networks.js';
import { type ApiServices } from './api-services.js';
import { parsePruneFilters } from '../filters/prune-filters.js';
import { filterFlagsOf } from '../filters/filter-args.js';
import { routeBinder } from './route-binder.js';

async function allNetworks(api: ApiServices): Promise<ListedNetwork[]> {
  const users = await (await userNetworksOf(api.ctx)).list();
  return [...(await predefinedNetworks(api.ctx)), ...users.map(listedUserNetwork)];
}

async function findNetwork(api: ApiServices, ref: string): Promise<ListedNetwork> {
  const found = findPredefined(await predefinedNetworks(api.ctx), ref);
  if (found) return found;
  try {
    return listedUserNetwork(await (await userNetworksOf(api.ctx)).find(ref));
  } catch (error) {
    if (error instanceof NotFoundError) throw new ApiError(404, `network ${ref} not found`);
    throw error;
  }
}

async function list(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const filters = filterFlagsOf(queryFilters(request.query));
  const matching = (await allNetworks(api)).filter((network) => networkMatches(network, filters));
  response.json(200, await Promise.all(matching.map((network) => networkDocument(api.ctx, network))));
}

async function inspect(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  response.json(200, await networkDocument(api.ctx, await findNetwork(api, request.params.id ?? '')));
}

interface NetworkCreateBody {
  readonly Name?: string;
  readonly Driver?: string;
  readonly Internal?: boolean;
  readonly Labels?: Record<string, string> | null;
  readonly Options?: Record<string, string> | null;
  readonly EnableIPv6?: boolean;
  readonly IPAM?: { Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null } | null;
}

async function create(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const body = await request.json<NetworkCreateBody>();
  if (!body.Name) throw new ApiError(400, 'network name is required');
  if (body.EnableIPv6) throw new ApiError(400, 'koker networks are IPv4 only: EnableIPv6 is not supported');
  const driverName = (await api.ctx.driver(Network)).name;
  if (body.Driver && body.Driver !== driverName)
    throw new ApiError(400, `the network driver in use is ${driverName}, not ${body.Driver}`);
  const configs = body.IPAM?.Config ?? [];
  if (configs.length > 1) throw new ApiError(400, 'koker networks have one IPv4 subnet');
  const config = configs[0];
  const networks = await userNetworksOf(api.ctx);
  const existing = await networks.find(body.Name).catch(() => undefined);
  if (existing && existing.name === body.Name)
    throw new ApiError(409, `network with name ${body.Name} already exists`);
  const network = await networks.create({
    name: body.Name,
    ...(config?.Subnet ? { subnet: config.Subnet } : {}),
    ...(config?.Gateway ? { gateway: config.Gateway } : {}),
    ...(config?.IPRange ? { ipRange: config.IPRange } : {}),
    internal: body.Internal === true,
    labels: body.Labels ?? {},
    options: body.Options ?? {},
  });
  api.ctx.log.info({ network: body.Name }, 'Create network');
  response.json(201, { Id: network.id, Warning: '' });
}

async function remove(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const ref = request.params.id ?? '';
  refusePredefinedRemoval(await predefinedNetworks(api.ctx), ref);
  await findNetwork(api, ref);
  await (await userNetworksOf(api.ctx)).remove(ref);
  api.ctx.log.info({ network: ref }, 'Remove network');
  response.empty(204);
}

/** dockerd's network prune filters: `until`, `label`, `label!`. */
async function prune(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const { accepts } = parsePruneFilters(filterFlagsOf(queryFilters(request.query)));
  const networks = await userNetworksOf(api.ctx);
  const deleted: string[] = [];
  for (const network of (await networks.list()).map(listedUserNetwork))
    if (network.containers.length === 0 && accepts({ created: network.created, labels: network.labels })) {
      await networks.remove(network.id);
      deleted.push(network.name);
    }
  response.json(200, { NetworksDeleted: deleted });
}

/** The container when the store holds it `Created` (not started yet), else nothing. */
async function createdContainer(api: ApiServices, ref: string): Promise<ContainerRecord | undefined> {
  const id = await api.ctx.state.resolve(ref).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new ApiError(404, `No such container: ${ref}`);
    throw error;
  });
  const record = await api.ctx.state.get(id);
  return (await lifecycleOf(api.ctx).observe(record)).status === 'created' ? record : undefined;
}

/** Whether the network is the one the container was created on (`--network NAME`). */
function ownNetwork(
  record: ContainerRecord,
  network: { readonly name: string; readonly id: string },
): boolean {
  const own = record.spec?.network.network;
  return own !== undefined && (own === network.name || network.id.startsWith(own));
}

async function connect(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const body = await request.json<{
    Container?: string;
    EndpointConfig?: { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null } | null;
  }>();
  if (!body.Container) throw new ApiError(400, 'Container is required');
  const ip = body.EndpointConfig?.IPAMConfig?.IPv4Address;
  const network = await findNetwork(api, request.params.id ?? '');
  const created = await createdContainer(api, body.Container);
  if (created) {
    // Not started yet (compose connects before it starts): its own network gets the aliases in
    // its record; another is joined once it runs.
    const { id } = created;
    const aliases = body.EndpointConfig?.Aliases ?? [];
    if (ownNetwork(created, network))
      await api.ctx.state.update(id, (current) =>
        current.spec
          ? {
              ...current,
              spec: {
                ...current.spec,
                network: {
                  ...current.spec.network,
                  aliases: [...(current.spec.network.aliases ?? []), ...aliases],
                  ...(ip ? { ip } : {}),
                },
              },
            }
          : current,
      );
    else api.starts.connectAtStart(id, { network: network.name, aliases, ...(ip ? { ip } : {}) });
    response.empty(200);
    return;
  }
  await connectContainer(api.ctx, request.params.id ?? '', body.Container, {
    aliases: body.EndpointConfig?.Aliases ?? [],
    ...(ip ? { ip } : {}),
  });
  response.empty(200);
}

async function disconnect(api: ApiServices, request: ApiRequest, response: ApiResponse): Promise<void> {
  const body = await request.json<{ Container?: string }>();
  if (!body.Container) throw new ApiError(400, 'Container is required');
  const created = await createdContainer(api, body.Container);
  if (created) {
    // Not started yet: a network to join later is forgotten; its own network keeps it (koker
    // decides it at create), without the aliases given so far (compose disconnects and connects
    // again to set them).
    const network = await findNetwork(api, request.params.id ?? '');
    if (ownNetwork(created, network))
      await api.ctx.state.update(created.id, (current) =>
        current.spec
          ? { ...current, spec: { ...current.spec, network: { ...current.spec.network, aliases: [] } } }
          : current,
      );
    else api.starts.forgetConnect(created.id, network.name);
    response.empty(200);
    return;
  }
  await disconnectContainer(api.ctx, request.params.id ?? '', body.Container);
  response.empty(200);
}

/** The network endpoints, over the network driver's user networks, as `koker network`. */
export function networkRoutes(api: ApiServices): ApiRoute[] {
  const route = routeBinder(api);
  return [
    route('GET', '/networks', list),
    route('POST', '/networks/create', create),
    route('POST', '/networks/prune', prune),
    route('GET', '/networks/{id}', inspect),
    route('DELETE', '/networks/{id}', remove),
    route('POST', '/networks/{id}/connect', connect),
    route('POST', '/networks/{id}/disconnect', disconnect),
  ];
}
