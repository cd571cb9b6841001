export const id = 487;
export const ids = [487];
export const modules = {

/***/ 3487:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   STORE_USAGE: () => (/* binding */ STORE_USAGE),
/* harmony export */   metricsStoreCommand: () => (/* binding */ metricsStoreCommand)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var _metrics_prometheus_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(9805);
/* harmony import */ var _config_pipeline_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(4118);
/* harmony import */ var _stages_registry_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(651);
/* harmony import */ var _config_errors_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(8159);
/* harmony import */ var _main_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4773);
// `rollgate metrics-store check`: does a Prometheus endpoint answer, and which version is it?






const STORE_USAGE = `Usage:
  rollgate metrics-store check --url URL [--token-env VAR] [--ca FILE] [--insecure] [--timeout 10s]
  rollgate metrics-store check --pipeline pipeline.yml --name NAME

Exit codes: 0 the store answered, 1 it did not (the reason is printed), 2 invalid usage.`;
async function metricsStoreCommand(argv, io) {
    const parsed = (0,_main_js__WEBPACK_IMPORTED_MODULE_5__/* .parseOptions */ .Ac)(argv, { url: { type: 'string' }, 'token-env': { type: 'string' }, ca: { type: 'string' }, insecure: { type: 'boolean' }, pipeline: { type: 'string' }, name: { type: 'string' } }, STORE_USAGE, io);
    if (!parsed)
        return _main_js__WEBPACK_IMPORTED_MODULE_5__/* .ExitCode */ .yU.Invalid;
    const v = parsed.values;
    if (v.help)
        return io.out(STORE_USAGE), _main_js__WEBPACK_IMPORTED_MODULE_5__/* .ExitCode */ .yU.Succeeded;
    if (parsed.positionals[0] !== 'check' || (!v.url && !(v.pipeline && v.name))) {
        io.err(`rollgate metrics-store: expected "check" with --url, or with --pipeline and --name\n\n${STORE_USAGE}`);
        return _main_js__WEBPACK_IMPORTED_MODULE_5__/* .ExitCode */ .yU.Invalid;
    }
    try {
        let name = 'command line';
        let config;
        if (v.url)
            config = { url: v.url, ...(v['token-env'] ? { bearerToken: { fromEnv: v['token-env'] } } : {}), ...(v.ca ? { ca: v.ca } : {}), ...(v.insecure ? { insecureSkipVerify: true } : {}) };
        else {
            const p = (0,_config_pipeline_js__WEBPACK_IMPORTED_MODULE_2__/* .loadPipeline */ .Bp)((0,node_fs__WEBPACK_IMPORTED_MODULE_0__.readFileSync)(v.pipeline, 'utf8'), v.pipeline, _stages_registry_js__WEBPACK_IMPORTED_MODULE_3__/* .stageTypes */ .a);
            name = v.name;
            const found = p.metricStores[name];
            if (!found)
                throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .ConfigError */ .xL([{ source: v.pipeline, path: ['metricStores'], message: `has no metric store "${name}"; it has: ${Object.keys(p.metricStores).join(', ') || '(none)'}` }]);
            config = found;
        }
        const store = (0,_metrics_prometheus_js__WEBPACK_IMPORTED_MODULE_1__/* .createPrometheusStore */ .C)(name, config, {
            workspace: process.cwd(),
            resolveSecret: (s, field) => {
                if (s === undefined || typeof s === 'string')
                    return s;
                if (s.fromEnv === undefined)
                    return s.value;
                const value = process.env[s.fromEnv];
                if (value === undefined)
                    throw new _config_errors_js__WEBPACK_IMPORTED_MODULE_4__/* .ConfigError */ .xL([{ source: name, path: [field], message: `reads the environment variable ${s.fromEnv}, which is not set` }]);
                return value;
            },
        });
        const { version } = await store.check();
        io.out(`✔ ${store.url}: Prometheus ${version}`);
        return _main_js__WEBPACK_IMPORTED_MODULE_5__/* .ExitCode */ .yU.Succeeded;
    }
    catch (e) {
        return (0,_main_js__WEBPACK_IMPORTED_MODULE_5__/* .reportError */ .N7)(e, io);
    }
}


/***/ })

};
