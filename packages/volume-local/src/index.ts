export { LocalVolumeDriver } from './driver.js';
export { parseLocalOptions, type LocalOptions } from './local-options.js';
export { register } from './register.js';
