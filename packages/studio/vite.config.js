import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served by `berth up` under /studio/; Vite's default browser condition picks @berth/sdk's fetch transport.
export default defineConfig({
  base: '/studio/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
