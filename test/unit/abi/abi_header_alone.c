/* Compiled by CTest with -std=c99/-std=c11 -pedantic -Werror: the ABI header
 * must stand alone in plain C. */
#include <ccdr/abi.h>

int main(void) {
  ccdr_error err = {CCDR_HEADER_INIT(ccdr_error), 0, {0}};
  ccdr_value v;
  v.type = CCDR_VALUE_INTEGER;
  v.as.integer = 1;
  (void)v;
  return CCDR_HAS_FIELD(&err, ccdr_error, message) && ccdr_status_neo4j_code(CCDR_OK)[0] == '\0' ? 0 : 1;
}
