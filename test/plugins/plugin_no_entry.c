/* A shared library without ccdr_plugin_entry: not a ccdr plugin. */
int some_other_function(void);
int some_other_function(void) { return 42; }
