"""The name of a return's workflow execution, from its return id (pure).

Step Functions takes 1 to 80 characters and refuses whitespace, brackets, wildcards, most punctuation and control
characters; the names made here keep to `[A-Za-z0-9._-]`. A return id is a shop's own id (letters, digits and
". _ : -", up to 128) or one qualified by its shop (`"{shop}/{id}"`, a shop having no "." and no "/", see
domain/tenancy.py), so it does not always fit as it is. `execution_name` gives one of three forms, none of
which can be another's:

- a tenant-qualified id that fits, its "/" as ".": `acme.RT-1`. The only one of the three with a "." (the
  first "." is where the "/" was, a shop having none): readable, and reversible.
- an id with no "/" and no "." that fits and does not end like the third form: the id itself, as executions
  were always named (one started before this module still answers to its return's name).
- anything else: the id with every other character as "_", cut to 63, then "-" and the first 16 hex digits
  of the SHA-256 of the whole id. No "."; always ending in "-" and 16 lowercase hex digits, which the second
  form never does. Two ids share such a name only if their digests share 64 bits.

Deterministic, so a redelivered request finds the execution it started. A return whose execution ended badly
is restarted under `restart_name`, one per generation: "." then the third form of `{return id}#{generation}`
("#" is in no return id). A leading "." is the one mark no `execution_name` has (a shop is never empty), and
the ASL's Start reads it: such an execution starts in the failures queue, not with Verify.
"""

import hashlib
import re

# How an execution found under a name stands (DescribeExecution's words); the last three ended badly.
RUNNING, SUCCEEDED = "RUNNING", "SUCCEEDED"
ENDED_BADLY = frozenset({"FAILED", "TIMED_OUT", "ABORTED"})

MAX_LENGTH = 80
RESTART_MARK = "."  # the first character of a restarted execution's name; the ASL's Start matches ".*"
DIGEST_LENGTH = 16
NAME = re.compile(r"[A-Za-z0-9._-]{1,80}")

_QUALIFIED = re.compile(r"[A-Za-z0-9_-]+/[A-Za-z0-9._-]+")
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_DIGEST_TAIL = re.compile(r".*-[0-9a-f]{%d}" % DIGEST_LENGTH, re.DOTALL)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def execution_name(return_id: str) -> str:
    if len(return_id) <= MAX_LENGTH:
        if _QUALIFIED.fullmatch(return_id):
            return return_id.replace("/", ".", 1)
        if _PLAIN.fullmatch(return_id) and not _DIGEST_TAIL.fullmatch(return_id):
            return return_id
    return _digested(return_id, MAX_LENGTH)


def restart_name(return_id: str, generation: int) -> str:
    """The execution that takes over a return whose earlier executions ended badly (generation 1, 2, ...)."""
    if generation < 1:
        raise ValueError("generation 0 is execution_name(return_id)")
    return RESTART_MARK + _digested(f"{return_id}#{generation}", MAX_LENGTH - len(RESTART_MARK))


def _digested(text: str, length: int) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_LENGTH]
    return f"{_UNSAFE.sub('_', text)[: length - DIGEST_LENGTH - 1]}-{digest}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """`arn:aws:states:REGION:ACCOUNT:stateMachine:MACHINE[:version]` -> `arn:...:execution:MACHINE:NAME`."""
    parts = state_machine_arn.split(":")
    if len(parts) < 7 or parts[5] != "stateMachine":
        raise ValueError(f"not a state machine ARN: {state_machine_arn}")
    return ":".join([*parts[:5], "execution", parts[6], name])
