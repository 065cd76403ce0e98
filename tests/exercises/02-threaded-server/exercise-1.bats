#!/usr/bin/env bats
# Step 02, exercise 1: at most 3 clients at once, counted under a mutex.
bats_require_minimum_version 1.5.0
load ../exercise

@test "a fourth client gets 'busy'; once one leaves, a newcomer is served" { check_busy_limit 3; }
