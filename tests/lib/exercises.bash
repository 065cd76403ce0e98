# What tests/exercises.bats does to each exercise, for any repository root
# (the real one, or the self-test fixture tests/fixtures/exercise-machinery).
# Each verify_* function prints nothing and returns 0 when the exercise is
# right, or prints in plain words what is wrong and returns 1.

# exercise_checks ROOT: every tests/exercises/NN-name/exercise-K.bats of
# ROOT, relative to it, in step then exercise order.
exercise_checks() {
    (cd "$1" && compgen -G 'tests/exercises/[0-9][0-9]-*/exercise-*.bats' | sort -V) || true
}

# The step folder and exercise number a check file is for:
# tests/exercises/01-blocking-server/exercise-2.bats -> 01-blocking-server 2
check_step() { basename "$(dirname "$1")"; }
check_number() { local name=${1##*/exercise-}; echo "${name%.bats}"; }
solution_patch() { echo "instructor/solutions/$(check_step "$1")/exercise-$(check_number "$1").patch"; }

indent() { sed 's/^/    /'; }

# as_a_student COMMAND...: runs it as from a student's shell: without what
# the outer bats and make put in the environment (bats' variables and its
# own folder first on PATH; make's MAKEFLAGS, which would change what make
# prints).
as_a_student() {
    local unset=(-u MAKELEVEL -u MAKEFLAGS -u MFLAGS) name path
    for name in $(compgen -e); do
        [[ $name == BATS_* && $name != BATS_TEST_TIMEOUT && $name != BATS_LIB_PATH ]] && unset+=(-u "$name")
    done
    path=$(tr ':' '\n' <<<"$PATH" | grep -v '/bats-core' | paste -sd: -)
    env "${unset[@]}" PATH="$path" "$@"
}

# student_make ROOT STEP K: "make step-NN exercise-K" in ROOT, as typed.
student_make() {
    as_a_student timeout 120 make -s -C "$1" "step-${2%%-*}" "exercise-$3"
}

# verify_fails_on_step ROOT CHECK: the check, run with "make step-NN
# exercise-K" on the step as it is, must fail, and fail in the check itself
# (a failed check line), not before it.
verify_fails_on_step() {
    local root=$1 check=$2 step number output status=0
    step=$(check_step "$check") number=$(check_number "$check")
    output=$(student_make "$root" "$step" "$number" 2>&1) || status=$?
    if ((status == 0)); then
        echo "passes on the unmodified steps/$step/: this check cannot tell a solution from the step"
        return 1
    fi
    if ! grep -q '^  ✗ ' <<<"$output"; then
        echo "make step-${step%%-*} exercise-$number failed before its check ran (status $status):"
        indent <<<"$output"
        return 1
    fi
}

# verify_passes_with_patch ROOT CHECK WORK: the check must pass on a copy of
# the step (in WORK) with the exercise's patch applied.
verify_passes_with_patch() {
    local root=$1 check=$2 work=$3 step patch source output
    step=$(check_step "$check") patch=$(solution_patch "$check")
    if [[ ! -f $root/$patch ]]; then
        echo "has no reference solution: $patch is missing"
        return 1
    fi
    output=$("$root/tests/exercises/patched-step" "$root/$patch" "$work" --build 2>&1) || {
        printf '%s\n' "$output"
        return 1
    }
    for source in "$work/steps/$step"/*.c; do
        output=$(as_a_student timeout 120 "$root/tests/exercises/check" "$root/$check" "${source%.c}" 2>&1) || {
            echo "fails on steps/$step/ with $patch applied; the check printed:"
            indent <<<"$output"
            return 1
        }
    done
}

# verify_every_patch_has_a_check ROOT: a patch with no check, or a solution
# left in the old form (a full copy of the program), is reported.
verify_every_patch_has_a_check() {
    local root=$1 patch folder source status=0 step
    while read -r patch; do
        [[ -n $patch ]] || continue
        step=${patch#instructor/solutions/}
        step=${step%%/*}
        if [[ ! -f $root/tests/exercises/$step/$(basename "$patch" .patch).bats ]]; then
            echo "$patch has no check: tests/exercises/$step/$(basename "$patch" .patch).bats is missing"
            status=1
        fi
    done < <(cd "$root" && compgen -G 'instructor/solutions/*/exercise-*.patch' | sort -V)
    while read -r folder; do
        [[ -n $folder ]] || continue
        for source in "$root/$folder"/*.c; do
            [[ -f $source ]] || continue
            step=${folder#instructor/solutions/}
            step=${step%%/*}
            echo "$folder/ is a full copy of the program: a solution is a patch now. Make one with:"
            echo "    diff -u --label a/steps/$step/${source##*/} --label b/steps/$step/${source##*/} steps/$step/${source##*/} $folder/${source##*/} > $folder.patch"
            status=1
        done
    done < <(cd "$root" && compgen -G 'instructor/solutions/*/exercise-*/' | sed 's|/$||' | sort -V)
    return $status
}

# for_each_check ROOT FUNCTION [ARGS...]: runs "FUNCTION ROOT CHECK WORK
# ARGS..." for every check of ROOT, four at a time (the checks mostly wait on
# sockets and timers), each with a work folder of its own. Prints a report
# of the wrong ones, in order, and fails if there is one.
for_each_check() {
    local root=$1 function=$2 checks=() check index=0 results=$BATS_TEST_TMPDIR/results wrong=0 pids=()
    shift 2
    mapfile -t checks < <(exercise_checks "$root")
    ((${#checks[@]})) || {
        echo "no exercise checks found (tests/exercises/NN-name/exercise-K.bats) in $root"
        return 1
    }
    mkdir -p "$results"
    for check in "${checks[@]}"; do
        index=$((index + 1))
        while (($(jobs -rp | wc -l) >= 4)); do wait -n || true; done
        (
            mkdir -p "$results/$index.work"
            if "$function" "$root" "$check" "$results/$index.work" "$@" >"$results/$index.out" 2>&1; then
                echo ok >"$results/$index.status"
            fi
        ) 3>&- &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    index=0
    for check in "${checks[@]}"; do
        index=$((index + 1))
        [[ -f $results/$index.status ]] && continue
        wrong=$((wrong + 1))
        echo "step $(check_step "$check"), exercise $(check_number "$check") ($check):"
        indent <"$results/$index.out"
        echo
    done
    ((wrong == 0)) || {
        echo "$wrong of ${#checks[@]} exercises are wrong (above)."
        return 1
    }
}
