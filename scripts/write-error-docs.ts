/** Writes `constructs/ERRORS.md` (every construct error code with its meaning and fix) from the error-code tables. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorCodesMarkdown } from '../constructs/core/private/error-docs';

const file = path.resolve(__dirname, '..', '..', 'constructs', 'ERRORS.md');
fs.writeFileSync(file, errorCodesMarkdown());
process.stdout.write(`construct error codes written into ${file}\n`);
