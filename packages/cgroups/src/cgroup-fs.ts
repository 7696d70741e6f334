import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmdirSync,
  writeSync,
} from 'node:fs';

/**
 * The few file operations cgroup management needs. cgroupfs files are kernel interfaces, not
 * storage: writes never create files, mkdir creates the control files, rmdir removes a cgroup
 * with its files. Unit tests swap in a fake that behaves so in a temporary directory.
 */
export interface CgroupFs {
  /** Creates one directory; false when it already existed. */
  mkdir(path: string): boolean;
  rmdir(path: string): void;
  /** Writes to an existing file in one write(2), as the kernel expects (ENOENT if absent). */
  write(path: string, value: string): void;
  read(path: string): string;
  exists(path: string): boolean;
  /** Names of the subdirectories (child cgroups) of a directory. */
  children(path: string): string[];
}

export const nodeCgroupFs: CgroupFs = {
  mkdir(path) {
    try {
      mkdirSync(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  },
  rmdir: (path) => rmdirSync(path),
  write(path, value) {
    // No O_CREAT: a missing control file means the kernel lacks the feature, not "create it".
    const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
    try {
      writeSync(fd, value);
    } finally {
      closeSync(fd);
    }
  },
  read: (path) => readFileSync(path, 'utf8'),
  exists: (path) => existsSync(path),
  children: (path) =>
    readdirSync(path, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name),
};
