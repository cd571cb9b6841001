export const id = 677;
export const ids = [677];
export const modules = {

/***/ 2677:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   JUDGE_USAGE: () => (/* binding */ JUDGE_USAGE),
/* harmony export */   judgeCommand: () => (/* binding */ judgeCommand)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var _config_errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8159);
/* harmony import */ var _canary_config_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(292);
/* harmony import */ var _canary_judge_index_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(297);
/* harmony import */ var _canary_types_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(2613);
/* harmony import */ var _config_schema_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(1091);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(4773);
// `rollgate judge`: the judge on recorded series, offline: the same code as the stage.







const JUDGE_USAGE = `Usage: rollgate judge --config canary.yml --baseline baseline.json --canary canary.json [--marginal 50] [--pass 75] [--seed 0] [--json]

Each data file maps metric names (as in the canary config) to their points, in one of three forms:
  { "error-ratio": [0.01, 0.02, ...] }                                  a list of numbers (null = NaN)
  { "error-ratio": [{ "labels": {...}, "values": [0.01, ...] }, ...] }  several series, paired by labels
  { "error-ratio": <a Prometheus /api/v1/query_range response> }        as saved from Prometheus

Exit codes: 0 Pass, 1 Marginal or Fail, 2 invalid input.`;
function readSide(file) {
    let data;
    try {
        data = JSON.parse((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(file, 'utf8'));
    }
    catch (e) {
        throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigError */ .xL([{ source: file, path: [], message: `cannot be read as JSON: ${e.message}` }]);
    }
    if (!(0,_config_schema_js__WEBPACK_IMPORTED_MODULE_5__/* .isPlainObject */ .Qd)(data))
        throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigError */ .xL([{ source: file, path: [], message: 'is not a mapping of metric names to points' }]);
    const out = {};
    const num = (v) => (v === null ? NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
    for (const [metric, v] of Object.entries(data)) {
        const bad = () => new _config_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigError */ .xL([{ source: file, path: [metric], message: 'is neither a list of numbers, a list of { labels, values }, nor a Prometheus query_range response' }]);
        if (Array.isArray(v) && v.every((x) => x === null || typeof x === 'number' || typeof x === 'string'))
            out[metric] = [{ labels: {}, values: v.map(num) }];
        else if (Array.isArray(v) && v.every((x) => (0,_config_schema_js__WEBPACK_IMPORTED_MODULE_5__/* .isPlainObject */ .Qd)(x) && Array.isArray(x.values)))
            out[metric] = v.map((x) => ({ labels: (x.labels ?? {}), values: x.values.map(num) }));
        else if ((0,_config_schema_js__WEBPACK_IMPORTED_MODULE_5__/* .isPlainObject */ .Qd)(v) && (0,_config_schema_js__WEBPACK_IMPORTED_MODULE_5__/* .isPlainObject */ .Qd)(v.data) && Array.isArray(v.data.result))
            out[metric] = v.data.result.map((r) => {
                const labels = { ...r.metric };
                delete labels.__name__;
                return { labels, values: r.values.map(([, x]) => num(x)) };
            });
        else
            throw bad();
    }
    return out;
}
async function judgeCommand(argv, io) {
    const parsed = (0,_main_js__WEBPACK_IMPORTED_MODULE_6__/* .parseOptions */ .Ac)(argv, {
        config: { type: 'string' },
        baseline: { type: 'string' },
        canary: { type: 'string' },
        marginal: { type: 'string' },
        pass: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean' },
    }, JUDGE_USAGE, io);
    if (!parsed)
        return _main_js__WEBPACK_IMPORTED_MODULE_6__/* .ExitCode */ .yU.Invalid;
    const v = parsed.values;
    if (v.help)
        return io.out(JUDGE_USAGE), _main_js__WEBPACK_IMPORTED_MODULE_6__/* .ExitCode */ .yU.Succeeded;
    if (!v.config || !v.baseline || !v.canary) {
        io.err(`rollgate judge: --config, --baseline and --canary are required\n\n${JUDGE_USAGE}`);
        return _main_js__WEBPACK_IMPORTED_MODULE_6__/* .ExitCode */ .yU.Invalid;
    }
    try {
        const config = (0,_canary_config_js__WEBPACK_IMPORTED_MODULE_2__/* .loadCanaryConfig */ .hn)((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(v.config, 'utf8'), v.config);
        const baseline = readSide(v.baseline);
        const canary = readSide(v.canary);
        const key = (l) => JSON.stringify(Object.entries(l).sort(([a], [b]) => a.localeCompare(b)));
        const series = [];
        for (const m of config.metrics) {
            const b = baseline[m.name] ?? [];
            const c = canary[m.name] ?? [];
            const keys = new Set([...b.map((x) => key(x.labels)), ...c.map((x) => key(x.labels))]);
            if (!keys.size)
                series.push({ metric: m, labels: {}, baseline: [], canary: [] });
            for (const k of keys)
                series.push({ metric: m, labels: JSON.parse(k).reduce((o, [a, x]) => ({ ...o, [a]: x }), {}), baseline: b.find((x) => key(x.labels) === k)?.values ?? [], canary: c.find((x) => key(x.labels) === k)?.values ?? [] });
        }
        const number = (name, d) => {
            const x = v[name] === undefined ? d : Number(v[name]);
            if (!Number.isFinite(x))
                throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .ConfigError */ .xL([{ source: 'command line', path: [`--${name}`], message: `has ${JSON.stringify(v[name])}; expected a number` }]);
            return x;
        };
        const verdict = (0,_canary_judge_index_js__WEBPACK_IMPORTED_MODULE_3__/* .judge */ .S4)(series, config.groups, {
            ..._canary_types_js__WEBPACK_IMPORTED_MODULE_4__/* .DEFAULT_JUDGE_SETTINGS */ .WJ,
            ...config.judge,
            marginal: number('marginal', 50),
            pass: number('pass', 75),
            seed: number('seed', 0),
        });
        if (v.json)
            io.out(JSON.stringify(verdict, null, 2));
        else {
            for (const m of verdict.metrics)
                io.out(`${m.classification.padEnd(16)} ${m.name}${Object.keys(m.labels).length ? ` ${JSON.stringify(m.labels)}` : ''}: ${m.reason}`);
            for (const g of verdict.groups)
                io.out(`group ${g.name}: ${g.score} (weight ${g.weight})`);
            io.out(`\nScore ${verdict.score}: ${verdict.classification}. ${verdict.reason}`);
        }
        return verdict.classification === 'Pass' ? _main_js__WEBPACK_IMPORTED_MODULE_6__/* .ExitCode */ .yU.Succeeded : _main_js__WEBPACK_IMPORTED_MODULE_6__/* .ExitCode */ .yU.Failed;
    }
    catch (e) {
        return (0,_main_js__WEBPACK_IMPORTED_MODULE_6__/* .reportError */ .N7)(e, io);
    }
}


/***/ })

};
