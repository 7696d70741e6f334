import { main } from './main.js';

// The process entry: exit with the code main() reports, after stdio has drained.
const code = await main(process.argv.slice(2));
process.exitCode = code;
