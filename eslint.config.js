import neostandard, { plugins } from 'neostandard'

/**
 * Module boundaries (README, Layout): a module uses another only through its `index.ts`, and the
 * cross-cutting code (plugins, lib, schemas, db) uses no module at all. Import sources are matched as
 * written, so each depth of file gets the pattern that reaches out of its own module.
 */
const entryOnly = 'Import another module only through its index.ts (its public entry); export what you need from there.'
const noFeatures = 'src/plugins, src/lib, src/schemas and src/db know no feature: pass what they need from app.ts or the module.'
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] })

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', 'var/**', 'scratch/**', 'test/outside/generated/**', 'test/outside/generated-hey/**'] }),
  {
    files: ['**/*.ts'],
    plugins: { '@typescript-eslint': plugins['typescript-eslint'].plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error'
    }
  },
  {
    files: ['src/modules/*/*.ts'],
    rules: restrict({ regex: '^\\.\\./[^./][^/]*/(?!index\\.js$)', message: entryOnly })
  },
  {
    files: ['src/modules/*/*/*.ts'],
    rules: restrict({ regex: '^\\.\\./\\.\\./[^./][^/]*/(?!index\\.js$)', message: entryOnly })
  },
  {
    files: ['src/*.ts', 'src/cli/**/*.ts'],
    rules: restrict({ regex: '(^|/)modules/[^/]+/(?!index\\.js$)', message: entryOnly })
  },
  {
    files: ['src/plugins/**/*.ts', 'src/lib/**/*.ts', 'src/schemas/**/*.ts', 'src/db/**/*.ts'],
    rules: restrict({ regex: '(^|/)modules(/|$)', message: noFeatures })
  }
]
