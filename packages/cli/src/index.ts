export { main, program } from './main.js';
