// One pair of test hooks for every package (the network driver's `network create` steps too):
// @koker/host's.
export { crashPoint, pausePoint } from '@koker/host';
