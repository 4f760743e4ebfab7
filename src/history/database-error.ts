/** The one error the history's SQLite files raise, with the reason a caller can act on. */

/** Why a database could not be opened (or a statement failed in a way the caller should show). */
export type DatabaseErrorReason =
  | 'in-use' // another live process owns the file
  | 'newer-schema' // written by a newer version of this program: never touched, never migrated down
  | 'foreign' // a SQLite file of another application
  | 'corrupt' // not a database, or damaged
  | 'io' // the folder or file cannot be created, read or written (also: the disk is full)
  | 'failed'; // a statement was refused (a constraint, a type): the caller's data, not the file

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  constructor(
    readonly reason: DatabaseErrorReason,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function asDatabaseError(error: unknown, file: string): DatabaseError {
  if (error instanceof DatabaseError) return error;
  const message = messageOf(error);
  if (/not a database|malformed|corrupt/i.test(message)) {
    return new DatabaseError('corrupt', file, `${file} is damaged or not a database: ${message}`, { cause: error });
  }
  // SQLITE_BUSY: something holds the VFS's lock directory although no owner marker says so.
  if (/database is locked/i.test(message)) {
    return new DatabaseError('in-use', file, `${file} is locked by another process: ${message}`, { cause: error });
  }
  // SQLite's own wording of SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL and SQLITE_READONLY.
  if (/disk I\/O error|unable to open|disk is full|readonly/i.test(message) || codeOf(error) !== undefined) {
    return new DatabaseError('io', file, `${file}: ${message}`, { cause: error });
  }
  return new DatabaseError('failed', file, `${file}: ${message}`, { cause: error });
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
