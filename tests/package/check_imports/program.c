// A test program linking the driver. It never links here: the driver's check fails first.
unsigned long XpDriverHello(void);

int main(void) { return (int)XpDriverHello(); }
