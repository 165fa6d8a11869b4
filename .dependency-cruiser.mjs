// Import cycles fail the lint (`npm run lint` runs this after eslint), type-only imports
// included: a cycle through types still ties two modules into one unit that can be read,
// tested and moved only together. eslint holds the boundary rules between the rooms
// (eslint.config.js); this holds the one rule eslint's plugins cannot: cycles through types.
/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'An import cycle (type-only imports count): move what both sides need into a module of its own, or pass it in.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    // Keep `import type` edges, which TypeScript erases before a JavaScript parser would see them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|test/artifacts)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.vue', '.js', '.mjs'] },
  },
};
