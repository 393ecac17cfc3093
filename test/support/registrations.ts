/**
 * Self-registrations as the tests send them: one family of `size` members in a real village of regency
 * 3371, with NIKs and a No. KK that core's own rules accept, and a call to a public route.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadAreas } from '#core/area.ts';
import { encodeKk } from '#core/kk.ts';
import { encodeNik } from '#core/nik.ts';
import { type RegistrationRoute, registrationRouteKeyOf } from '#shared/contracts.ts';
import type { RegistrationMember } from '#shared/registrations.ts';
import { httpApiEvent, lambdaContext } from './lambda.ts';

export type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** The first village of the first district of `regency`. */
export function villageOf(regency = '3371'): string {
  const areas = loadAreas();
  const district = areas.districtsOf(regency)[0]!;
  return areas.villagesOf(district)[0]!;
}

/** A family: a head (L, 1980), a wife (P, 1983) and children; `serial` keeps families of a test apart. */
export function family(options: { size?: number; serial?: number; regency?: string } = {}): RegistrationMember[] {
  const { size = 3, serial = 1, regency = '3371' } = options;
  const village = villageOf(regency);
  const district = village.slice(0, 6);
  const noKk = encodeKk({ district, issueDate: '2015-03-02', serial });
  return Array.from({ length: size }, (_, i) => {
    const sex = i === 1 ? 'P' : 'L';
    const birthDate = i === 0 ? '1980-04-12' : i === 1 ? '1983-09-30' : `20${String(10 + i).padStart(2, '0')}-01-15`;
    return {
      nik: encodeNik({ district, birthDate, sex, serial: serial * 100 + i + 1 }),
      no_kk: noKk,
      nama: ['BUDI SANTOSO', 'SITI AMINAH', 'AGUS', 'DEWI', 'EKO'][i % 5]! + (i >= 5 ? ` ${i}` : ''),
      jenis_kelamin: sex,
      tempat_lahir: 'MAGELANG',
      tanggal_lahir: birthDate,
      nama_ibu_kandung: 'SUMIRAH',
      hubungan_keluarga: i === 0 ? 'KEPALA_KELUARGA' : i === 1 ? 'ISTRI' : 'ANAK',
      status_perkawinan: i < 2 ? 'KAWIN' : 'BELUM_KAWIN',
      alamat: 'JL. MAWAR 3',
      rt: '002',
      rw: '005',
      kode_desa: village,
      pekerjaan: i === 0 ? 'BURUH' : '',
      penghasilan_bulanan: i === 0 ? '1500000' : '',
    } satisfies RegistrationMember;
  });
}

/** A public route's event as API Gateway sends it without an authorizer. */
export function publicEvent(
  route: RegistrationRoute,
  options: { receipt?: string; nik?: string; body?: unknown } = {},
): APIGatewayProxyEventV2 {
  return httpApiEvent(registrationRouteKeyOf(route), {
    ...(options.receipt === undefined ? {} : { pathParameters: { receipt: options.receipt } }),
    ...(options.nik === undefined ? {} : { query: { nik: options.nik } }),
    body: options.body,
  });
}

/** Calls the registrations API: the status, the parsed body and the body as sent. */
export async function callRegistrations(
  api: Handler,
  route: RegistrationRoute,
  options: { receipt?: string; nik?: string; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const result = (await api(
    publicEvent(route, options),
    lambdaContext('dtks-registrations-api'),
  )) as APIGatewayProxyStructuredResultV2;
  const text = result.body ?? '';
  return { status: result.statusCode ?? 0, body: JSON.parse(text || '{}'), text };
}
