#!/bin/sh
# Build the cmocka test binary: the candidate's main() is renamed so tests.c can link with the
# candidate's other functions; tests.c declares what it calls and defines its own main().
set -e
mkdir -p /work/.duet
gcc -std=gnu17 -O0 -g -Wall -Dmain=duet_candidate_main -c -o /work/.duet/solution.o main.c
gcc -std=gnu17 -O0 -g -Wall -o /work/.duet/tests tests.c /work/.duet/solution.o -lcmocka -lm
