// Original file: proto/ecigw/tunnel/v1/tunnel.proto


/**
 * Resolved env values of one container (valueFrom configMapKeyRef/secretKeyRef/fieldRef/resourceFieldRef).
 */
export interface EnvValues {
  'values'?: ({[key: string]: string});
}

/**
 * Resolved env values of one container (valueFrom configMapKeyRef/secretKeyRef/fieldRef/resourceFieldRef).
 */
export interface EnvValues__Output {
  'values': ({[key: string]: string});
}
