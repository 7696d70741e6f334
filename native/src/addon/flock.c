/*
 * koker-flock.node: flock(2) for Node, as a tiny Node-API addon. koker's state locks are flocks
 * (the kernel drops them when their holder dies); loading koffi for this one call costs ~25 ms
 * of CPU on every koker command, this addon well under 1 ms. Node-API is ABI-stable: the module
 * loads in any Node >= 20 without a rebuild.
 *
 *   flock(fd, operation) -> 0, or -errno (EWOULDBLOCK with LOCK_NB when held elsewhere)
 */
#include <errno.h>
#include <sys/file.h>
#include <node_api.h>

static napi_value call_flock(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    int32_t fd = -1, operation = 0;
    napi_value result;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
        napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
        napi_get_value_int32(env, argv[1], &operation) != napi_ok) {
        napi_throw_type_error(env, NULL, "flock(fd, operation): two integers expected");
        return NULL;
    }
    int rc;
    do {
        rc = flock(fd, operation);
    } while (rc < 0 && errno == EINTR);
    napi_create_int32(env, rc < 0 ? -errno : 0, &result);
    return result;
}

static napi_value init(napi_env env, napi_value exports) {
    napi_value fn;
    napi_create_function(env, "flock", NAPI_AUTO_LENGTH, call_flock, NULL, &fn);
    napi_set_named_property(env, exports, "flock", fn);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
