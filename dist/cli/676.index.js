export const id = 676;
export const ids = [676];
export const modules = {

/***/ 6676:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CANARY_USAGE: () => (/* binding */ CANARY_USAGE),
/* harmony export */   canaryCommand: () => (/* binding */ canaryCommand)
/* harmony export */ });
/* harmony import */ var yaml__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8815);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8161);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(6760);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4773);
// `rollgate canary`: one canary-analysis stage from the terminal, through the same engine.




const CANARY_USAGE = `Usage: rollgate canary --config canary.yml --url PROMETHEUS_URL --baseline SCOPE --canary SCOPE (--lifetime 30m | --start ISO --end ISO) [options]

  --config FILE            the canary config
  --url URL                Prometheus base URL (--token-env VAR for a bearer token)
  --baseline, --canary     the \${scope} of each side; --baseline-location, --canary-location for \${location}
  --lifetime, --delay, --interval, --step, --baseline-offset, --lookback   durations (e.g. 30m, 1m, 60s)
  --start, --end           a retrospective analysis of the past (ISO-8601 times)
  --var NAME=VALUE         an extra template variable (repeatable)
  --marginal N, --pass N   thresholds (default 50 and 75)
  --report-dir DIR         where the JSON report goes

Exit codes: 0 the canary passed, 1 it failed (or was cancelled), 2 invalid input.`;
const FLAGS = {
    lifetime: 'lifetime',
    delay: 'delay',
    interval: 'interval',
    step: 'step',
    'baseline-offset': 'baselineOffset',
    lookback: 'lookback',
    start: 'startTime',
    end: 'endTime',
    baseline: 'baseline',
    canary: 'canary',
    'baseline-location': 'baselineLocation',
    'canary-location': 'canaryLocation',
    marginal: 'marginal',
    pass: 'pass',
};
async function canaryCommand(argv, io, signal) {
    const parsed = (0,_main_js__WEBPACK_IMPORTED_MODULE_3__/* .parseOptions */ .Ac)(argv, {
        config: { type: 'string' },
        url: { type: 'string' },
        'token-env': { type: 'string' },
        var: { type: 'string', multiple: true },
        'report-dir': { type: 'string' },
        ...Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' }])),
    }, CANARY_USAGE, io);
    if (!parsed)
        return _main_js__WEBPACK_IMPORTED_MODULE_3__/* .ExitCode */ .yU.Invalid;
    const v = parsed.values;
    if (v.help)
        return io.out(CANARY_USAGE), _main_js__WEBPACK_IMPORTED_MODULE_3__/* .ExitCode */ .yU.Succeeded;
    if (!v.config || !v.url) {
        io.err(`rollgate canary: --config and --url are required\n\n${CANARY_USAGE}`);
        return _main_js__WEBPACK_IMPORTED_MODULE_3__/* .ExitCode */ .yU.Invalid;
    }
    const stage = {
        id: 'canary',
        type: 'canary-analysis',
        metricStore: { url: v.url, ...(v['token-env'] ? { bearerToken: { fromEnv: v['token-env'] } } : {}) },
        canaryConfig: v.config,
    };
    for (const [flag, field] of Object.entries(FLAGS))
        if (v[flag] !== undefined)
            stage[field] = v[flag];
    const vars = v.var ?? [];
    if (vars.length)
        stage.scopeVariables = Object.fromEntries(vars.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const bad = vars.find((kv) => kv.indexOf('=') <= 0);
    if (bad) {
        io.err(`rollgate canary: --var ${JSON.stringify(bad)} is not NAME=VALUE`);
        return _main_js__WEBPACK_IMPORTED_MODULE_3__/* .ExitCode */ .yU.Invalid;
    }
    try {
        return await (0,_main_js__WEBPACK_IMPORTED_MODULE_3__/* .runSettings */ .n)({
            inlineStage: { text: (0,yaml__WEBPACK_IMPORTED_MODULE_0__/* .stringify */ .As)(stage), source: 'rollgate canary' },
            inputs: {},
            artifacts: [],
            dryRun: false,
            workspace: process.cwd(),
            reportDir: node_path__WEBPACK_IMPORTED_MODULE_2__.resolve(v['report-dir'] ?? node_path__WEBPACK_IMPORTED_MODULE_2__.join(node_os__WEBPACK_IMPORTED_MODULE_1__.tmpdir(), 'rollgate')),
        }, io, signal);
    }
    catch (e) {
        return (0,_main_js__WEBPACK_IMPORTED_MODULE_3__/* .reportError */ .N7)(e, io);
    }
}


/***/ })

};
