export { main, program } from './main.js';
export { startServer } from './server.js';
export type { RunningServer, ServerOptions } from './server.js';
