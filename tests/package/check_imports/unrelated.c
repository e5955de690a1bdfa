int Unrelated(void) { return 0; }
