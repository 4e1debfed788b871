// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.fraiseql/**',
      '**/coverage/**',
      '**/*.d.ts',
      '**/src/gen/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', '*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowRegExp: false },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests are outside the build tsconfig.json (src only), so the project service cannot see
    // them; each package's tsconfig.test.json covers src and test.
    files: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.ts', 'apps/*/test/**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: ['./packages/*/tsconfig.test.json', './apps/*/tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'bench/**', 'scripts/**', 'apps/**', '**/bin/**'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Root config files and plain scripts are not part of any TypeScript project.
    files: ['**/*.js', '**/*.mjs', '*.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
);
