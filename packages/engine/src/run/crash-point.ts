// One hook for every package (the network driver's `network create` steps too): @koker/host's.
export { crashPoint } from '@koker/host';
