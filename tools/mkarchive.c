/*
 * mkarchive: pack files into a Veneer boot archive (<veneer/archive.h>).
 * Usage: mkarchive out.var file...   each stored under its base name, or
 * under name for an argument name=path (the web server's docroot: www/...).
 * A later argument of the same name replaces an earlier one (make's
 * EXTRA_DIR=DIR replaces the build's program of that name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <veneer/archive.h>

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "mkarchive: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: mkarchive out.var [name=]file...", NULL);
    int n = argc - 2;
    struct var_entry *ents = calloc((size_t)n + 1, sizeof(*ents));
    unsigned char **data = calloc((size_t)n + 1, sizeof(*data));
    uint64_t off;
    for (int i = 0; i < n; i++) {
        const char *path = argv[i + 2], *eq = strchr(path, '=');
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        size_t blen = strlen(base);
        if (eq) {
            base = path;
            blen = (size_t)(eq - path);
            path = eq + 1;
        }
        if (blen == 0 || blen >= VAR_NAME_MAX)
            die("name empty or too long", base);
        for (int j = 0; j < i; j++)                 /* replaced: drop the earlier one */
            if (data[j] && strlen(ents[j].name) == blen && !memcmp(ents[j].name, base, blen)) {
                memset(ents[j].name, 0, sizeof(ents[j].name));
                free(data[j]);
                data[j] = NULL;
            }
        FILE *f = fopen(path, "rb");
        if (!f)
            die("cannot open", path);
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        data[i] = malloc((size_t)size + 1);
        if (fread(data[i], 1, (size_t)size, f) != (size_t)size)
            die("cannot read", path);
        fclose(f);
        memcpy(ents[i].name, base, blen);
        ents[i].size = (uint64_t)size;
    }
    int kept = 0;                                   /* close the gaps of replaced entries */
    for (int i = 0; i < n; i++)
        if (data[i]) {
            ents[kept] = ents[i];
            data[kept++] = data[i];
        }
    n = kept;
    off = sizeof(struct var_header) + (uint64_t)n * sizeof(struct var_entry);
    for (int i = 0; i < n; i++) {
        off = (off + VAR_ALIGN - 1) / VAR_ALIGN * VAR_ALIGN;
        ents[i].offset = off;
        off += ents[i].size;
    }
    off = (off + VAR_ALIGN - 1) / VAR_ALIGN * VAR_ALIGN;     /* zero padding to a whole page */
    struct var_header h = {VAR_MAGIC, (uint32_t)n, off};
    FILE *out = fopen(argv[1], "wb");
    if (!out)
        die("cannot create", argv[1]);
    fwrite(&h, sizeof(h), 1, out);
    fwrite(ents, sizeof(*ents), (size_t)n, out);
    for (int i = 0; i < n; i++) {
        while ((uint64_t)ftell(out) < ents[i].offset)
            fputc(0, out);
        fwrite(data[i], 1, ents[i].size, out);
    }
    while ((uint64_t)ftell(out) < off)
        fputc(0, out);
    if (fclose(out))
        die("write failed", argv[1]);
    return 0;
}
