// A driver that imports DbgPrintEx, which Windows XP added: it does not load on Windows 2000.
// Declared here rather than through the WDK headers, so that the project needs no kemu targets.
unsigned long DbgPrintEx(unsigned long component, unsigned long level, const char* format, ...);

unsigned long XpDriverHello(void) { return DbgPrintEx(0, 0, "hello\n"); }
