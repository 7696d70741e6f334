import { type TestBody, type TestFunctions } from '../../src/testing/index.js';

export interface SuiteOutcome {
  readonly passed: string[];
  readonly failed: { name: string; error: Error }[];
}

/**
 * Registers a conformance suite with a tiny runner of its own and runs every test: how the kit's
 * own tests see which of a suite's tests a driver passes (the suites take any runner's functions).
 */
export async function runSuite(register: (t: TestFunctions) => void): Promise<SuiteOutcome> {
  const tests: { name: string; body: TestBody }[] = [];
  const path: string[] = [];
  register({
    describe: (name, body) => {
      path.push(name);
      body();
      path.pop();
    },
    it: (name, body) => tests.push({ name: [...path, name].join(' > '), body }),
  });
  const outcome: SuiteOutcome = { passed: [], failed: [] };
  for (const test of tests) {
    try {
      await test.body();
      outcome.passed.push(test.name);
    } catch (error) {
      outcome.failed.push({ name: test.name, error: error as Error });
    }
  }
  return outcome;
}

/** The names of the failed tests (the part after the suite's name), for assertions. */
export function failedTests(outcome: SuiteOutcome): string[] {
  return outcome.failed.map((f) => f.name.split(' > ').at(-1) as string);
}

/** A readable report of failures, for the message of a test that expected none. */
export function failures(outcome: SuiteOutcome): string {
  return outcome.failed.map((f) => `${f.name}: ${f.error.message}`).join('\n');
}
