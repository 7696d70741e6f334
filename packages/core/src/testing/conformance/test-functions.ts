/** A test body: may be async; a thrown error (node:assert's included) fails the test. */
export type TestBody = () => void | Promise<void>;

/**
 * The test functions a conformance suite registers its tests with: vitest's and jest's
 * `{ describe, it }` fit as they are, node:test's too (`import { describe, it } from 'node:test'`).
 * The suites assert with node:assert/strict, so any runner that fails a test on a thrown error
 * works. Each test sets up and tears down what it uses itself: no hooks are needed.
 */
export interface TestFunctions {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: TestBody): unknown;
}

/** What every suite's subject may offer besides the driver. */
export interface SubjectBase {
  /**
   * Names what the driver could leave on the host (cgroups, links, namespaces, mounts, files):
   * compared before and after each test, and nothing may be left. Optional: without it the
   * suite checks what the driver itself reports (`list`) and the paths it returned.
   */
  leftovers?(): readonly string[] | Promise<readonly string[]>;
  /** Called after each test, passed or failed: removes the subject's temporary state. */
  dispose?(): void | Promise<void>;
}

/** Runs one test against a fresh subject, disposing of it afterwards, and checks for leftovers. */
export async function withSubject<S extends SubjectBase>(
  create: () => S | Promise<S>,
  body: (subject: S) => Promise<void>,
  checkLeftovers = true,
): Promise<void> {
  const subject = await create();
  try {
    const before = checkLeftovers && subject.leftovers ? [...(await subject.leftovers())] : undefined;
    await body(subject);
    if (before && subject.leftovers) {
      const known = new Set(before);
      const left = [...(await subject.leftovers())].filter((item) => !known.has(item));
      if (left.length > 0) throw new Error(`the driver left these behind:\n  ${left.join('\n  ')}`);
    }
  } finally {
    await subject.dispose?.();
  }
}
