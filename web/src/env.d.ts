/** esbuild bundles a stylesheet imported for its side effect into the app's CSS asset. */
declare module '*.css';
