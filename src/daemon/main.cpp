// hydrad: guards docker0 and session bridges (issue 3 fills this in).
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--version") == 0)) {
    std::puts("hydrad 0.1.0");
    return 0;
  }
  std::fputs("hydrad: not yet implemented\n", stderr);
  return 2;
}
