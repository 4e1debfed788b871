import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The browser app: built into dist/app and served by createConsoleHandler. Relative asset
// URLs let the console be mounted under any path.
export default defineConfig({
  root: 'src/app',
  base: './',
  plugins: [preact()],
  build: {
    outDir: '../../dist/app',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
});
