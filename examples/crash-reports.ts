// Crash reports behind the guard, as the README shows them (test/readme.test.ts runs this and compares what it
// prints with the comments). Needs the optional dependency segfault-handler, built at install.
import { enableCrashReports, guardStatus, safeRead } from 'memprobe';

// From now on a real crash outside any guarded copy prints one report (stderr and crash.log) and ends the
// process by SIGSEGV. Where segfault-handler could not be built this throws ERR_CRASH_REPORTS_UNAVAILABLE.
enableCrashReports({ path: 'crash.log' });
console.log(guardStatus().previous.SIGSEGV);  // segfault-handler

// Guarded faults never reach it: they are still values.
console.log(safeRead(0n, 8).fault?.code);     // SEGV_MAPERR
