#!/bin/sh
# Build the GoogleTest binary: the candidate's main() is renamed; gtest_main provides main().
set -e
mkdir -p /work/.duet
g++ -std=gnu++17 -O0 -g -Wall -Dmain=duet_candidate_main -c -o /work/.duet/solution.o main.cpp
g++ -std=gnu++17 -O0 -g -Wall -o /work/.duet/tests tests.cpp /work/.duet/solution.o -lgtest -lgtest_main -pthread
