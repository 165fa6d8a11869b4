import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSbatchParsable, parseScontrolJobs, parseSqueue, scontrolJobStates } from '../../../src-main/cluster/slurm-output.ts';
import { mapSlurmState } from '../../../src-main/cluster/slurm-state.ts';

test('Slurm states map onto run states as the app shows them', () => {
  const cases: Array<[string, string, boolean]> = [
    ['PENDING', 'queued', false],
    ['RUNNING', 'running', false],
    ['COMPLETING', 'running', false],
    ['COMPLETED', 'completed', true],
    ['FAILED', 'failed', true],
    ['OUT_OF_MEMORY', 'failed', true],
    ['CANCELLED by 0', 'cancelled', true],
    ['TIMEOUT', 'interrupted', true],
    ['PREEMPTED', 'interrupted', true],
    ['NODE_FAIL', 'interrupted', true],
    ['REQUEUED', 'interrupted', false],
    ['cancelled+', 'cancelled', true],
  ];
  for (const [raw, status, ended] of cases) assert.deepEqual(mapSlurmState(raw), { status, ended }, raw);
  assert.equal(mapSlurmState('SOMETHING_NEW'), null);
});

test('sbatch --parsable: job id, with or without a cluster name; anything else is an error naming the command', () => {
  assert.equal(parseSbatchParsable('4242\n'), 4242);
  assert.equal(parseSbatchParsable('17;snca-test\n'), 17);
  assert.throws(() => parseSbatchParsable('sbatch: error: invalid partition specified: gpu\n'), /sbatch --parsable: no job id/);
});

test('squeue lines: plain jobs, array tasks, and folded pending ranges expand to every task', () => {
  const entries = parseSqueue('12|RUNNING|None\n13_2|PENDING|Resources\n14_[0-2,5]|PENDING|Priority\n15_[1-3%2]|PENDING|JobArrayTaskLimit\n');
  assert.deepEqual(
    entries.map((e) => [e.jobId, e.arrayTask, e.mapped?.status, e.reason]),
    [
      [12, null, 'running', 'None'],
      [13, 2, 'queued', 'Resources'],
      [14, 0, 'queued', 'Priority'],
      [14, 1, 'queued', 'Priority'],
      [14, 2, 'queued', 'Priority'],
      [14, 5, 'queued', 'Priority'],
      [15, 1, 'queued', 'JobArrayTaskLimit'],
      [15, 2, 'queued', 'JobArrayTaskLimit'],
      [15, 3, 'queued', 'JobArrayTaskLimit'],
    ],
  );
  assert.throws(() => parseSqueue('abc|RUNNING|None'), /squeue: unreadable job id "abc"/);
  assert.throws(() => parseSqueue('9_[0-99999999]|PENDING|x'), /out of bounds/);
});

test('scontrol show job -o: key=value pairs, values with spaces at the end, array tasks', () => {
  const line =
    'JobId=21 ArrayJobId=20 ArrayTaskId=1 JobName=snca-sweep UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) ' +
    'ExitCode=0:15 Command=/tmp/a b/job.sh WorkDir=/tmp/a b StdErr=/tmp/a b/task-1.err';
  const [job] = parseScontrolJobs(`${line}\n`);
  assert.equal(job!.JobState, 'TIMEOUT');
  assert.equal(job!.Command, '/tmp/a b/job.sh');
  assert.equal(job!.StdErr, '/tmp/a b/task-1.err');
  const [s] = scontrolJobStates(line);
  assert.deepEqual([s!.jobId, s!.arrayTask, s!.mapped?.status, s!.exitCode], [20, 1, 'interrupted', '0:15']);
});

test('scontrol show job -o: the shared record of an array cancelled while pending gives every task its state', () => {
  const line = 'JobId=104 ArrayJobId=104 ArrayTaskId=0-2,5 ArrayTaskThrottle=0 JobName=snca-sweep JobState=CANCELLED Reason=None ExitCode=0:0';
  assert.deepEqual(
    scontrolJobStates(line).map((s) => [s.jobId, s.arrayTask, s.mapped?.status]),
    [[104, 0, 'cancelled'], [104, 1, 'cancelled'], [104, 2, 'cancelled'], [104, 5, 'cancelled']],
  );
  assert.deepEqual(scontrolJobStates('JobId=7 JobName=x ArrayTaskId=(null) JobState=COMPLETED').map((s) => [s.jobId, s.arrayTask]), [[7, null]]);
  assert.throws(() => scontrolJobStates('JobId=8 ArrayJobId=8 ArrayTaskId=0-x JobState=PENDING'), /scontrol show job: unreadable/);
});
