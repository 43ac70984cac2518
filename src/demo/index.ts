// The demo folder's API for the rest of src/ (it has no public part: src/index.ts does not export it).
export { lineDisplay, silentDisplay, ttyDisplay } from './live-display.ts';
export { runDemo } from './run-demo.ts';
export { renderSummary } from './summary.ts';
