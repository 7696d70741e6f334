/** Imports a driver module named in koker's configuration (an npm package name or a path). */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

// import() needs the module loader of the file it is written in; code started from the start-up
// snapshot has none, so src/snapshot.ts puts an importer loaded from a file on disk here.
let importer: ModuleImporter = (specifier) => import(specifier);

export function importModule(specifier: string): Promise<unknown> {
  return importer(specifier);
}

export function useModuleImporter(replacement: ModuleImporter): void {
  importer = replacement;
}
