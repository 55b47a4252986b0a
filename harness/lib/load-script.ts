export interface RampPlan {
  peakRps: number;
  rampUpS: number;
  holdS: number;
  rampDownS: number;
}

/** One step of a staircase: ramp linearly from the previous level to rps over rampS, then hold it holdS. */
export interface LoadStep {
  rps: number;
  rampS: number;
  holdS: number;
}

/** Either a single ramp (up, hold, down) or an explicit per-second schedule (e.g. from stepSchedule). */
export type LoadShape = RampPlan | { rates: readonly number[] };

export type LoadPlan = LoadShape & {
  url: string;
  /** The script stops launching requests after this many seconds whatever the schedule says. */
  maxDurationS: number;
  /** Per-request timeout in whole seconds (default 2). */
  timeoutS?: number;
  logFile: string;
  pidFile: string;
  /**
   * Where this generator's requests sit within each gap between two of its requests, 0 ≤ phase < 1:
   * generator k of n gets k/n, so that n generators together send one evenly spaced stream instead
   * of n requests at the same instants (default 0).
   */
  phase?: number;
};

const MAX_RPS = 2000;
const MAX_SECONDS = 6 * 3600;

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be an integer in ${min}..${max}, got ${v}`);
}

/**
 * Requests to send in each second: a linear ramp 0 → peak over rampUpS (each second at the rate of
 * its midpoint, so the total is the area under the ramp), peak for holdS, peak → 0 over rampDownS.
 */
export function rateSchedule(plan: RampPlan): number[] {
  checkInt('peakRps', plan.peakRps, 1, MAX_RPS);
  checkInt('rampUpS', plan.rampUpS, 0, MAX_SECONDS);
  checkInt('holdS', plan.holdS, 0, MAX_SECONDS);
  checkInt('rampDownS', plan.rampDownS, 0, MAX_SECONDS);
  const up = Array.from({ length: plan.rampUpS }, (_, s) => Math.round((plan.peakRps * (s + 0.5)) / plan.rampUpS));
  const hold = Array.from({ length: plan.holdS }, () => plan.peakRps);
  const down = Array.from({ length: plan.rampDownS }, (_, s) => Math.round((plan.peakRps * (plan.rampDownS - s - 0.5)) / plan.rampDownS));
  return [...up, ...hold, ...down];
}

/**
 * Requests per second of a staircase: each step ramps linearly from the level before it (0 for the
 * first) to its rps, then holds; the last level ramps down to 0 over rampDownS. Lets a load grow in
 * stages, e.g. one stage per replica the load should need.
 */
export function stepSchedule(steps: readonly LoadStep[], rampDownS: number): number[] {
  if (steps.length === 0) throw new Error('stepSchedule: give at least one step');
  checkInt('rampDownS', rampDownS, 0, MAX_SECONDS);
  const rates: number[] = [];
  let from = 0;
  steps.forEach((step, i) => {
    checkInt(`steps[${i}].rps`, step.rps, 0, MAX_RPS);
    checkInt(`steps[${i}].rampS`, step.rampS, 0, MAX_SECONDS);
    checkInt(`steps[${i}].holdS`, step.holdS, 0, MAX_SECONDS);
    for (let s = 0; s < step.rampS; s++) rates.push(Math.round(from + ((step.rps - from) * (s + 0.5)) / step.rampS));
    for (let s = 0; s < step.holdS; s++) rates.push(step.rps);
    from = step.rps;
  });
  for (let s = 0; s < rampDownS; s++) rates.push(Math.round((from * (rampDownS - s - 0.5)) / rampDownS));
  if (rates.length > MAX_SECONDS) throw new Error(`stepSchedule: ${rates.length} s is longer than ${MAX_SECONDS} s`);
  return rates;
}

/** The per-second rates of a plan, whichever shape it has. */
export function planRates(plan: LoadShape): number[] {
  if ('rates' in plan) {
    plan.rates.forEach((r, i) => checkInt(`rates[${i}]`, r, 0, MAX_RPS));
    if (plan.rates.length > MAX_SECONDS) throw new Error(`rates: ${plan.rates.length} s is longer than ${MAX_SECONDS} s`);
    return [...plan.rates];
  }
  return rateSchedule(plan);
}

/** Single-quoted for sh: nothing inside is expanded. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A POSIX sh load generator (dash, bash, busybox ash on Alpine): curl when present, else wget.
 * The per-second schedule is computed here and embedded, so the shell only loops over it. A
 * second's requests are spread evenly over the whole second: the sleep between two launches is
 * the gap minus what a launch itself costs on this host (measured each second), so that a sampler
 * with windows shorter than a second sees the same rate in each window. It logs
 * `epoch_ms status latency_ms` per request, writes its pid to pidFile, stops by itself after the
 * schedule or maxDurationS, and exits on TERM (requests in flight end within their timeout). Its
 * optional argument is the epoch ms to start at, the same for every generator of a run.
 */
export function renderLoadScript(plan: LoadPlan): string {
  const url = new URL(plan.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`load target must be http(s), got ${plan.url}`);
  checkInt('maxDurationS', plan.maxDurationS, 1, MAX_SECONDS);
  const timeoutS = plan.timeoutS ?? 2;
  checkInt('timeoutS', timeoutS, 1, 60);
  const rates = planRates(plan).slice(0, plan.maxDurationS);
  const phase = plan.phase ?? 0;
  if (!(phase >= 0 && phase < 1)) throw new Error(`phase must be in [0, 1), got ${phase}`);
  return `#!/bin/sh
# SwarmGuard load generator, generated by harness/lib/load-script.ts: do not edit.
# ${rates.reduce((a, b) => a + b, 0)} requests over ${rates.length} s, peak ${Math.max(0, ...rates)} rps.
URL=${shQuote(url.href)}
HOST=${shQuote(url.hostname)}
PORT=${url.port || (url.protocol === 'https:' ? '443' : '80')}
HOSTHDR=${shQuote(url.host)}
RPATH=${shQuote(`${url.pathname}${url.search}`)}
SCHEME=${url.protocol.slice(0, -1)}
LOG=${shQuote(plan.logFile)}
PIDFILE=${shQuote(plan.pidFile)}
TIMEOUT=${timeoutS}
MAX_MS=${plan.maxDurationS * 1000}
PHASE=${Math.round(phase * 1000)}   # permille of a gap by which this generator's requests lag
SCHEDULE='${rates.join(' ')}'

# written whole (tmp + mv), so a reader never sees an empty pid file
echo $$ > "$PIDFILE.tmp" && mv -f "$PIDFILE.tmp" "$PIDFILE"
trap 'rm -f "$PIDFILE"; exit 143' TERM INT
: > "$LOG"

# Epoch ms: date +%N where supported (GNU, Alpine); else /proc/uptime (10 ms steps) anchored to
# the epoch at a second boundary, with no fork per call.
if date +%s%N | grep -q '^[0-9]*$'; then
  now_ms() { n=$(date +%s%N); echo $((n / 1000000)); }
elif [ -r /proc/uptime ]; then
  s0=$(date +%s); i=0
  while [ "$(date +%s)" = "$s0" ] && [ $i -lt 2000 ]; do i=$((i + 1)); done
  read up _ < /proc/uptime
  UP0=\${up%.*}\${up#*.}0
  EPOCH0=$(( $(date +%s) * 1000 ))
  now_ms() { read up _ < /proc/uptime; echo $((EPOCH0 + \${up%.*}\${up#*.}0 - UP0)); }
else
  now_ms() { echo $(( $(date +%s) * 1000 )); }
fi

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -s -o /dev/null -m "$TIMEOUT" -w '%{http_code}' "$URL" 2>/dev/null; }
else
  # busybox wget may lack -T; then timeout(1) bounds it
  if wget --help 2>&1 | grep -q -e '-T'; then W_T="-T $TIMEOUT"; W_TO=''; else W_T=''; W_TO="timeout $TIMEOUT"; fi
  if wget --help 2>&1 | grep -q -e '--tries'; then W_T="$W_T --tries=1"; fi
  fetch() {
    $W_TO wget -S -O /dev/null $W_T "$URL" 2>&1 |
      awk '{ if (match($0, /HTTP\\/[0-9.]+ [0-9][0-9][0-9]/)) c = substr($0, RSTART + RLENGTH - 3, 3) } END { print c + 0 }'
  }
fi
stamp() { NOW=$(now_ms); }
get() { CODE=$(fetch); }

# Under bash, plain HTTP goes through its /dev/tcp and the clock through $EPOCHREALTIME: no curl
# start and no date per request. On a host shared with the swarm (the local lab) a curl start and
# two date calls cost ~30 ms of CPU a request, more than most requests cost the service itself.
if [ -n "$BASH_VERSION" ] && [ "$SCHEME" = http ] && [ -n "$EPOCHREALTIME" ] && command -v timeout >/dev/null 2>&1; then
  stamp() { NOW=\${EPOCHREALTIME/[.,]/}; NOW=$((NOW / 1000)); }
  get() {
    CODE=0
    { exec 3<>"/dev/tcp/$HOST/$PORT"; } 2>/dev/null || return 0
    printf 'GET %s HTTP/1.1\\r\\nHost: %s\\r\\nConnection: close\\r\\nUser-Agent: swarmguard-load\\r\\n\\r\\n' "$RPATH" "$HOSTHDR" >&3
    local proto code rest
    if IFS=' ' read -r -t "$TIMEOUT" proto code rest <&3; then
      # the body to its end (the server closes), bounded like a curl request
      if timeout "$TIMEOUT" cat <&3 >/dev/null; then CODE=$code; fi
    fi
    exec 3<&-
  }
fi

request() {
  stamp; s=$NOW
  get
  stamp; e=$NOW
  code=$CODE
  case "$code" in ''|*[!0-9]*) code=0 ;; esac
  code=\${code#"\${code%%[!0]*}"}  # curl says 000: no leading zeros, or sh reads octal
  echo "$s \${code:-0} $((e - s))" >> "$LOG"
}

# ms as seconds for sleep(1)
ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

START=$(now_ms)
# a common start (epoch ms, the first argument) lines the generators' schedules up, so that their
# phases interleave; one further than 2 s from this host's clock is ignored
if [ $# -gt 0 ] && [ "$1" -gt $((START - 2000)) ] 2>/dev/null && [ "$1" -lt $((START + 2000)) ]; then
  [ "$1" -gt "$START" ] && sleep "$(ms $(($1 - START)))"
  START=$1
fi
sec=0
OVH=2   # ms a launch costs beyond its sleep (fork, exec): measured each second, smoothed
for rate in $SCHEDULE; do
  t0=$(now_ms)
  [ $((t0 - START)) -ge "$MAX_MS" ] && break
  if [ "$rate" -gt 0 ]; then
    step=$((1000 / rate))                  # ms from one launch to the next
    gap=$((step - OVH)); [ "$gap" -lt 0 ] && gap=0
    lead=$((step * PHASE / 1000))
    [ "$lead" -gt 0 ] && sleep "$(ms "$lead")"
    gs=$(ms "$gap")
    i=0
    while [ "$i" -lt "$rate" ]; do
      request &
      i=$((i + 1))
      [ "$i" -lt "$rate" ] && [ "$gap" -gt 0 ] && sleep "$gs"
    done
  fi
  now=$(now_ms)
  if [ "$rate" -gt 1 ]; then
    o=$(((now - t0 - lead - (rate - 1) * gap) / rate))
    [ "$o" -lt 0 ] && o=0
    [ "$o" -gt 100 ] && o=100
    OVH=$(((OVH + o + 1) / 2))
  fi
  sec=$((sec + 1))
  left=$((START + sec * 1000 - now))
  [ "$left" -gt 0 ] && sleep "$(ms "$left")"
done
wait
rm -f "$PIDFILE"
`;
}

export interface SecondStats {
  /** Epoch second. */
  second: number;
  sent: number;
  ok: number;
  failed: number;
  meanLatencyMs: number | null;
}

export interface LoadLogSummary {
  perSecond: SecondStats[];
  sent: number;
  ok: number;
  failed: number;
  malformed: number;
}

/** Per-second achieved rate and failures from the script's log (seconds without requests included as 0). */
export function parseLoadLog(text: string): LoadLogSummary {
  const buckets = new Map<number, { sent: number; ok: number; latency: number }>();
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // epoch ms has 13 digits until 2286: anything else is a damaged line, and would stretch the per-second fill
    const m = /^(\d{13}) (\d+) (-?\d+)$/.exec(line.trim());
    if (!m) { malformed += 1; continue; }
    const second = Math.floor(Number(m[1]) / 1000);
    const b = buckets.get(second) ?? { sent: 0, ok: 0, latency: 0 };
    const status = Number(m[2]);
    b.sent += 1;
    b.ok += status >= 200 && status < 300 ? 1 : 0;
    b.latency += Number(m[3]);
    buckets.set(second, b);
  }
  const seconds = [...buckets.keys()].sort((a, b) => a - b);
  const span = seconds.length > 0 ? seconds[seconds.length - 1] - seconds[0] : 0;
  if (span > MAX_SECONDS + 3600) throw new Error(`load log spans ${span} s (first ${seconds[0]}, last ${seconds[seconds.length - 1]}): not one run of a load script`);
  const perSecond: SecondStats[] = [];
  for (let s = seconds[0]; seconds.length > 0 && s <= seconds[seconds.length - 1]; s++) {
    const b = buckets.get(s);
    perSecond.push(b ? { second: s, sent: b.sent, ok: b.ok, failed: b.sent - b.ok, meanLatencyMs: b.latency / b.sent } : { second: s, sent: 0, ok: 0, failed: 0, meanLatencyMs: null });
  }
  const sent = perSecond.reduce((n, s) => n + s.sent, 0);
  const ok = perSecond.reduce((n, s) => n + s.ok, 0);
  return { perSecond, sent, ok, failed: sent - ok, malformed };
}
