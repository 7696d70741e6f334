export { main } from './main.js';
export { buildProgram, VERSION } from './program.js';
