// ESLint 9 flat config. TypeScript (src/, test/, vitest.config.ts) gets
// typescript-eslint's type-checked rules through the project service: files
// under src/ take their types from tsconfig.json, files under test/ from
// test/tsconfig.json. Plain JavaScript (bin/, test/bench/, the .mjs helpers and
// fixtures) gets ESLint's recommended rules with Node's globals.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'test/lab/delayer/', 'test/bench/results/']),
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The code writes `!` on indexed access as if noUncheckedIndexedAccess were on (src/ compiles with it but for 3 lines): keep them.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Destructuring a key away (`const { secret: _s, ...rest } = o`) is how the code omits one.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
);
