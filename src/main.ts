// `npm start` entry: the CLI's `start` command (demo without --config).
import { run } from './cli.js';

run(process.argv.slice(2));
