/** A nominal type: a value of T that only a parser of this module may produce. */
export type Brand<T, Name extends string> = T & { readonly __brand: Name };
