# Compiler options live on INTERFACE targets, never in global flags:
#   ccdr::warnings   -Wall -Wextra -Wpedantic -Werror for our own code
#   ccdr::sanitizers the sanitizer set chosen by the preset (CCDR_SANITIZER)
add_library(ccdr_warnings INTERFACE)
add_library(ccdr::warnings ALIAS ccdr_warnings)
target_compile_options(ccdr_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual>)

add_library(ccdr_sanitizers INTERFACE)
add_library(ccdr::sanitizers ALIAS ccdr_sanitizers)
if(CCDR_SANITIZER)
  if("thread" IN_LIST CCDR_SANITIZER AND "address" IN_LIST CCDR_SANITIZER)
    message(FATAL_ERROR "ThreadSanitizer cannot be combined with AddressSanitizer")
  endif()
  list(JOIN CCDR_SANITIZER "," _ccdr_san)
  target_compile_options(ccdr_sanitizers INTERFACE -fsanitize=${_ccdr_san} -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
  target_link_options(ccdr_sanitizers INTERFACE -fsanitize=${_ccdr_san})
  target_compile_definitions(ccdr_sanitizers INTERFACE CCDR_SANITIZED=1)
endif()

# Everything we compile links both.
add_library(ccdr_options INTERFACE)
add_library(ccdr::options ALIAS ccdr_options)
target_link_libraries(ccdr_options INTERFACE ccdr_warnings ccdr_sanitizers)
