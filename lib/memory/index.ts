// The public face of lib/memory/: fault-safe copies, pages for tests and demos, the guard's status and crash reports.
export { addressOf, pageSize, safeMemcpy, safeMemcpyAsync, safeRead, safeReadAsync } from './copy';
export { mapFile, mapPages, type MapFileOptions, type Mapping } from './pages';
export { guardStatus, type GuardStatus } from './guard';
export { enableCrashReports, type CrashReportOptions } from './crash-reports';
