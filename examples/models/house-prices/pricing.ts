/**
 * A runtime that uses the codecs: the request is read as a `pd` table (one
 * column per input; `city` as text through `str`, `built` as dates through
 * `datetime`, both declared in model-settings.json), and the answer is a
 * table again: a price per row and a price band as text.
 *
 * The model is a scikit-learn LinearRegression exported by train.py.
 *
 * @module
 */

import {
  getModelUri,
  InferenceError,
  type InferenceRequest,
  type InferenceResponse,
  MLModel,
  type Table,
} from "mlserver";

interface LinearRegression {
  format: "linear-regression";
  reference_year: number;
  cities: string[];
  coef: number[];
  intercept: number;
}

/** Prices houses from rooms, area, construction date and city. */
export class PricingModel extends MLModel {
  #model: LinearRegression | undefined;

  override async load(): Promise<boolean> {
    const uri = await getModelUri(this.settings, { wellknownFilenames: ["model.json"] });
    this.#model = JSON.parse(await Deno.readTextFile(uri));
    return this.#model?.format === "linear-regression";
  }

  // deno-lint-ignore require-await
  async predict(request: InferenceRequest): Promise<InferenceResponse> {
    const model = this.#model!;
    const table = this.decodeRequest(request, "pd") as Table;
    const column = <T>(
      name: string,
      check: (value: unknown) => boolean,
      kind: string,
    ): ArrayLike<T> => {
      const values = table.columns[name];
      if (values === undefined) throw new InferenceError(`Missing column '${name}'`);
      for (let i = 0; i < values.length; i++) {
        if (!check((values as ArrayLike<unknown>)[i])) {
          throw new InferenceError(`Column '${name}', row ${i}: expected ${kind}`);
        }
      }
      return values as ArrayLike<T>;
    };
    const rooms = column<number>("rooms", (v) => typeof v === "number", "a number");
    const area = column<number>("area", (v) => typeof v === "number", "a number");
    const built = column<Date>("built", (v) => v instanceof Date, "a date");
    const city = column<string>(
      "city",
      (v) => typeof v === "string" && model.cities.includes(v),
      `one of ${model.cities}`,
    );
    const price = new Float64Array(table.rows);
    const band: string[] = [];
    const [perRoom, perM2, perYear, ...perCity] = model.coef as [
      number,
      number,
      number,
      ...number[],
    ];
    for (let row = 0; row < table.rows; row++) {
      const age = model.reference_year - built[row]!.getUTCFullYear();
      price[row] = model.intercept + perRoom * rooms[row]! + perM2 * area[row]! + perYear * age +
        perCity[model.cities.indexOf(city[row]!)]!;
      band.push(price[row]! < 150_000 ? "budget" : price[row]! < 400_000 ? "mid" : "premium");
    }
    return this.encodeResponse({ rows: table.rows, columns: { price, band } });
  }
}
