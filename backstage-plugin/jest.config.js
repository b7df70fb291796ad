// Jest runs the compiled tests (tsc -b writes each package's dist/): TypeScript is checked once, by tsc.
const backend = [
  'platform-portal-common',
  'scaffolder-backend-module-platform-portal',
  'catalog-backend-module-platform-portal',
];

module.exports = {
  projects: [
    {
      // Needs a running portal (PORTAL_BASE_URL, PORTAL_TOKEN): tests/backstage_plugin/test_e2e.py runs it.
      displayName: 'e2e',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/e2e/dist/**/*.e2e.test.js'],
      transform: {},
    },
    {
      displayName: 'backend',
      testEnvironment: 'node',
      testMatch: backend.map(name => `<rootDir>/plugins/${name}/dist/**/*.test.js`),
      transform: {},
    },
    {
      displayName: 'frontend',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/plugins/platform-portal/dist/**/*.test.js'],
      // Backstage's frontend packages ship ES modules (*.esm.js, *.mjs, "type": "module" packages);
      // turn those into CommonJS, as Backstage's own Jest set-up does. Our code is CommonJS already.
      transform: {
        '/node_modules/.+\\.m?js$': [
          'babel-jest',
          { configFile: false, babelrc: false, plugins: ['@babel/plugin-transform-modules-commonjs'] },
        ],
      },
      transformIgnorePatterns: [
        '/node_modules/(?!(.*\\.esm\\.js$|.*\\.mjs$|.*/esm/|.*/es/|@backstage/|@remixicon/|@react-hookz/|d3-[a-z]+/|internmap/))',
      ],
      moduleNameMapper: {
        '\\.(css|svg|png|jpe?g|gif|woff2?)$': '<rootDir>/jest/assetStub.js',
        'style-inject\\.es\\.esm\\.js$': '<rootDir>/jest/styleInjectStub.js',
      },
    },
  ],
};
