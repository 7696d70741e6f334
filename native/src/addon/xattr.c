/*
 * koker-xattr.node: lgetxattr(2) for Node, as a tiny Node-API addon. `koker run` reads the image's
 * /etc/passwd through the layer directories (the overlay is mounted only inside the container),
 * and overlayfs marks opaque directories with an xattr; loading koffi for that one call would
 * cost ~20 ms of CPU on every run, this addon well under 1 ms.
 *
 *   lgetxattr(path, name) -> Buffer with the value, null when the attribute is not set
 *   (ENODATA, ENOTSUP), or -errno
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/xattr.h>
#include <node_api.h>

static napi_value call_lgetxattr(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2], result;
    char path[4097], name[256];
    size_t path_len = 0, name_len = 0;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
        napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok ||
        napi_get_value_string_utf8(env, argv[1], name, sizeof name, &name_len) != napi_ok) {
        napi_throw_type_error(env, NULL, "lgetxattr(path, name): two strings expected");
        return NULL;
    }
    if (path_len >= sizeof path - 1 || name_len >= sizeof name - 1) {
        napi_create_int32(env, -ENAMETOOLONG, &result);
        return result;
    }
    char value[4096];
    ssize_t n = lgetxattr(path, name, value, sizeof value);
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP) {
            napi_get_null(env, &result);
        } else {
            napi_create_int32(env, -errno, &result);
        }
        return result;
    }
    void *data;
    napi_create_buffer_copy(env, (size_t)n, value, &data, &result);
    return result;
}

static napi_value init(napi_env env, napi_value exports) {
    napi_value fn;
    napi_create_function(env, "lgetxattr", NAPI_AUTO_LENGTH, call_lgetxattr, NULL, &fn);
    napi_set_named_property(env, exports, "lgetxattr", fn);
    return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
